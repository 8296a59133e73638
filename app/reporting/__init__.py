"""Data reports (数据填报): the report forms of each standard (forms.py), the government and
quality indicators computed from reported figures (indicators.py), and the glue that gathers a
county's figures and on-site verdicts from the database (facts.py). forms.py and indicators.py
import no Flask."""
