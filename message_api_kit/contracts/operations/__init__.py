"""One module per operation under contract, each defining ``CONTRACT`` (``registry.OperationContract``).

``registry.default_registry()`` registers every module here: an operation's contract is one file.
"""
