"""message-api-kit: schemas, a stateful fake and contract checks for ``POST /conversations/{conversation}/messages``.

Every import name the kit owns lives under this one package, so that none can shadow a
project's own ``schemas`` or ``contracts``: ``message_api_kit.schemas``,
``message_api_kit.mockserver``, ``message_api_kit.contracts``. Importing this package
imports nothing else (the pytest plugins below it load on every pytest run).
"""

__all__: list[str] = []
