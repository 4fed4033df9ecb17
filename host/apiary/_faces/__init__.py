"""What the faces (``apiary.cli``, ``apiary.web``, ``apiary.mcp``) share, so
that none of them keeps its own copy of a rule: the outcome of each result
(``outcomes``), the JSON they write (``encoding``), and who may talk to the
network faces (``access``)."""
