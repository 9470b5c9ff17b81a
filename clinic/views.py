"""Small helpers shared by the apps' views."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request


def valid(serializer_class: Any, request: Request, **kwargs: Any) -> dict[str, Any]:
    """Validated data of a request body, or a 400 in the error shape."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
