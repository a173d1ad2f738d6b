"""The rules of RULES.md as pure functions, one module per rule group.

Both engines (serial and CP-SAT) and the checker call these; none of them re-implements a rule.
"""
