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
# Given names by sex, so a recorded sex matches the name; "Devi", "Bai" and "Begum" are women's.
FEMALE_FIRST = ["Lakshmi", "Savitri", "Padma", "Anjali", "Yadamma", "Sunitha", "Kavitha", "Renuka", "Jyothi", "Saroja"]
MALE_FIRST = ["Ramu", "Venkat", "Srinivas", "Narsimha", "Raju", "Mallesh", "Balaiah", "Krishna", "Anil", "Ramesh"]
FAMILY = ["Goud", "Reddy", "Yadav", "Naik", "Chary", "Rao", "Mudiraj", "Kumar", "Shaik"]
FEMALE_ONLY = ["Devi", "Bai", "Begum"]
AREAS = ["Kothur", "Shadnagar", "Nandigama", "Farooqnagar", "Keshampet", "Chowderguda", "Kondurg"]
# (complaint, diagnosis, medicines that treat it: catalogue name and form). Children get the syrup.
COMPLAINTS = [
    ("fever for 3 days", "viral fever", [("Paracetamol", "tablet"), ("Cetirizine", "tablet")]),
    ("joint pain", "osteoarthritis", [("Paracetamol", "tablet")]),
    ("cough with sputum", "acute bronchitis", [("Amoxicillin", "capsule"), ("Paracetamol", "tablet")]),
    ("giddiness", "hypertension", [("Amlodipine", "tablet")]),
    ("burning feet, thirst", "type 2 diabetes", [("Metformin", "tablet")]),
    ("headache", "tension headache", [("Paracetamol", "tablet")]),
    ("stomach ache after food", "gastritis", [("Ranitidine", "tablet")]),
    ("itching rash", "fungal skin infection", [("Clotrimazole", "cream")]),
    ("loose stools", "acute gastroenteritis", [("ORS", "powder")]),
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
