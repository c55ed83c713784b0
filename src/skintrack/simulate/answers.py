"""The protocol questionnaire answered with no risk, for the demo, the measurement scripts and the
tests: none of the advised-against conditions, a reused derma roller soaked in 75 % alcohol for
10 minutes, hands, face and tool disinfected, an experienced person in a clean, ventilated room.

Copy it before changing it (``{**NO_RISK_ANSWERS, "beginner": True}``): every user shares it.
"""

from __future__ import annotations

from skintrack.core.protocol import HOME_NEEDLE_MIN_MM

#: The needle of the no-risk answers, mm: the shortest home needle the protocol names.
NO_RISK_NEEDLE_MM = HOME_NEEDLE_MIN_MM
#: Every question of ``core/questionnaire.py`` answered, none of them a risk.
NO_RISK_ANSWERS: dict[str, object] = {
    "pregnant_or_breastfeeding": False,
    "keloid_prone": False,
    "anticoagulants": False,
    "device": "roller",
    "needle_mm": NO_RISK_NEEDLE_MM,
    "roller_reused": True,
    "roller_disinfection": "alcohol_75_10min",
    "disinfected_hands_face_tool": True,
    "beginner": False,
    "room_clean": True,
    "room_ventilated": True,
}
