"""What the commands say of themselves: every option described (`--help` is where a user starts)."""


def test_every_option_of_every_command_says_what_it_does():
    import click

    from message_api_kit.contracts.cli import SUBCOMMANDS
    from message_api_kit.contracts.cli import cli as contracts
    from message_api_kit.mockserver.cli import cli as mockserver

    commands = {"contracts": contracts, **{name: command for command, name in SUBCOMMANDS.values()}}
    commands.update({f"mockserver {name}": command for name, command in mockserver.commands.items()})
    for name, command in commands.items():
        assert command.help, name
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help and len(param.help.split()) >= 3, f"{name} {param.opts[0]} says nothing"
