"""The card-number guard, tried by generated requests: thousands of card
numbers of every brand in every disguise and place (refused), and ordinary
requests (passed). The builders in ``cases.py`` serve both hypothesis
(``strategies.py``) and the seeded fuzz run (``bench/guard_fuzz.py``)."""
