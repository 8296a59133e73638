"""The documents the team hands over: the findings report (.docx and a printable page), the
rectification lists (.xlsx), and exports. Builders here take plain data (data.py) and return
bytes or text, with no Flask; collect.py fills that data from the database."""
