"""One patient's way through the camp over HTTP, as the mobile app and the pharmacist make it, timed.

Each call records its latency and the server's X-Query-Count per endpoint name.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class Stats:
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    queries: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, seconds: float, queries: int) -> None:
        with self.lock:
            self.latency[name].append(seconds)
            self.queries[name].append(queries)


class Api:
    def __init__(self, base: str, token: str, stats: Stats) -> None:
        self.base, self.stats = base, stats
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, name: str, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        started = time.perf_counter()
        response = self.session.request(method, self.base + path, json=body, timeout=60)
        elapsed = time.perf_counter() - started
        self.stats.add(name, elapsed, int(response.headers.get("X-Query-Count", "-1")))
        if response.status_code != expect:
            raise RuntimeError(f"{name}: {response.status_code} {response.text[:200]}")
        return response.json()


def login(base: str, username: str, password: str) -> str:
    response = requests.post(
        base + "/api/v1/auth/login/", json={"username": username, "password": password}, timeout=30
    )
    response.raise_for_status()
    return str(response.json()["access"])


def flow(n: int, tag: str, camp: int, doctor_id: int, medicines: list[int], api: dict[str, Api]) -> None:
    """One patient from registration to completion, as the mobile app and the pharmacist would."""
    vol, doc, pharm = api["vol"], api["doc"], api["pharm"]
    patient = vol.call(
        "POST patients/",
        "POST",
        "/api/v1/patients/",
        {
            "book_no": f"{tag}-{n:05d}",
            "name": f"Bench Patient {n}",
            "age_years": 40 + n % 40,
            "sex": "female" if n % 2 else "male",
            "area": "Kothur",
            "phone": f"98{n:08d}",
        },
        201,
    )
    vol.call("GET patients/?search=", "GET", f"/api/v1/patients/?search={tag}-{n:05d}")
    visit = vol.call(
        "POST patients/{id}/visits/", "POST", f"/api/v1/patients/{patient['id']}/visits/", {"camp": camp}, 201
    )
    vol.call(
        "POST visits/{id}/vitals/",
        "POST",
        f"/api/v1/visits/{visit['id']}/vitals/",
        {"bp_systolic": 130, "bp_diastolic": 85, "pulse": 76, "rbs": 140, "weight_kg": "61", "height_cm": "160"},
        201,
    )
    entry = vol.call(
        "POST queue/",
        "POST",
        "/api/v1/queue/",
        {"visit": visit["id"], "doctor": doctor_id, "priority": "urgent" if n % 7 == 0 else "normal"},
        201,
    )
    doc.call("GET queue/?doctor=", "GET", f"/api/v1/queue/?doctor={doctor_id}")
    consultation = doc.call(
        "POST consultations/",
        "POST",
        "/api/v1/consultations/",
        {"queue_entry": entry["id"], "chief_complaint": "fever"},
        201,
    )
    doc.call(
        "PATCH consultations/{id}/",
        "PATCH",
        f"/api/v1/consultations/{consultation['id']}/",
        {"diagnosis": "viral fever", "advice": "fluids"},
    )
    items = []
    for medicine in (medicines[n % len(medicines)], medicines[(n + 1) % len(medicines)]):
        rx = doc.call(
            "POST consultations/{id}/prescriptions/",
            "POST",
            f"/api/v1/consultations/{consultation['id']}/prescriptions/",
            {"medicine": medicine, "quantity": 10, "days": 5, "time_slots": ["morning", "night"]},
            201,
        )
        items.append({"prescription": rx["id"], "quantity": 10})
    doc.call("PATCH queue/{id}/", "PATCH", f"/api/v1/queue/{entry['id']}/", {"status": "completed"})
    pharm.call("GET visits/{id}/pickup/", "GET", f"/api/v1/visits/{visit['id']}/pickup/")
    pharm.call("POST visits/{id}/dispense/", "POST", f"/api/v1/visits/{visit['id']}/dispense/", {"items": items})
    vol.call("GET patients/{id}/status/", "GET", f"/api/v1/patients/{patient['id']}/status/?camp={camp}")
    vol.call("PATCH visits/{id}/", "PATCH", f"/api/v1/visits/{visit['id']}/", {"status": "completed"})
    doc.call("GET visits/{id}/", "GET", f"/api/v1/visits/{visit['id']}/")
