"""Loading: what is installed, and turning it into ``Integration`` objects.

The first stretch of a call's path. ``discovery`` (installed distributions)
and ``folders`` (plain integration folders) find integrations by reading
``config.json`` files, importing nothing; ``registry`` keeps one record per
integration and imports it on first use, through ``isolation`` for folders;
``catalog`` describes records as plain data for the faces; ``checks`` is
``apiary check``; ``packaging`` turns a folder into a distribution.

Nothing here knows of the router, the pool or any face.
"""
