"""The demo camp's made-up people, medicines and complaints, and how far along the day each patient is."""

DEMO_CAMP = "MedCamp demo camp"
STAFF = [
    ("dr_rao", "doctor", "Ravi", "Rao"),
    ("dr_iyer", "doctor", "Meena", "Iyer"),
    ("pat_pharma", "pharmacist", "Pavan", "Kumar"),
    ("vic_volunteer", "volunteer", "Vimala", "Reddy"),
    ("cara_counsellor", "counsellor", "Chaitra", "Naidu"),
    ("aud_auditor", "auditor", "Arun", "Shetty"),
]
CATALOGUE = [
    ("Paracetamol", "tablet", "500 mg", "tablet", 200),
    ("Amoxicillin", "capsule", "500 mg", "capsule", 100),
    ("Metformin", "tablet", "500 mg", "tablet", 200),
    ("Amlodipine", "tablet", "5 mg", "tablet", 150),
    ("Cetirizine", "tablet", "10 mg", "tablet", 100),
    ("Paracetamol", "syrup", "125 mg/5 ml", "bottle", 20),
    ("Ranitidine", "tablet", "150 mg", "tablet", 100),
    ("Albendazole", "tablet", "400 mg", "tablet", 50),
    ("ORS", "powder", "20.5 g", "sachet", 50),
    ("Clotrimazole", "cream", "1%", "tube", 10),
]
FIRST = [
    "Lakshmi",
    "Ramu",
    "Savitri",
    "Venkat",
    "Padma",
    "Srinivas",
    "Anjali",
    "Narsimha",
    "Yadamma",
    "Raju",
    "Sunitha",
    "Mallesh",
    "Kavitha",
    "Balaiah",
    "Renuka",
    "Krishna",
    "Jyothi",
    "Anil",
    "Saroja",
    "Ramesh",
]
LAST = ["Goud", "Reddy", "Yadav", "Devi", "Naik", "Chary", "Bai", "Rao", "Mudiraj", "Kumar", "Begum", "Shaik"]
AREAS = ["Kothur", "Shadnagar", "Nandigama", "Farooqnagar", "Keshampet", "Chowderguda", "Kondurg"]
COMPLAINTS = [
    ("fever for 3 days", "viral fever"),
    ("joint pain", "osteoarthritis"),
    ("cough", "bronchitis"),
    ("giddiness", "hypertension"),
    ("burning feet", "diabetic neuropathy"),
    ("headache", "migraine"),
    ("stomach ache", "gastritis"),
    ("itching", "fungal infection"),
]
# How far each patient got by the time the demo is seeded (weights over the flow).
STAGES = [
    ("registered", 6),
    ("vitals_recorded", 10),
    ("queued", 18),
    ("in_consultation", 6),
    ("consulted", 14),
    ("dispensed", 16),
    ("completed", 30),
]
ORDER = [stage for stage, _ in STAGES]
