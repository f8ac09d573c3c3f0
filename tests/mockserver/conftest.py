import pytest

from message_api_kit.mockserver import MockConfig, create_app


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def config(clock):
    return MockConfig(clock=clock, random_seed=1)


@pytest.fixture
def app(config):
    return create_app(config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def post(client):
    def post(body, conversation=1, **kwargs):
        return client.post(f"/conversations/{conversation}/messages", json=body, **kwargs)

    return post
