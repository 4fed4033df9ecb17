"""Calls: one call from a name to a result, whatever goes wrong.

``request`` is what a call asks for; ``router`` finds and loads the
integration, resolves ``credentials``, runs the handler in an
``ExecutionContext`` that borrows the shared ``pool``'s session under the
integration's bulkhead and the call's ``deadline``, and turns every failure
into a result of an ``ErrorKind`` (``results``).
"""
