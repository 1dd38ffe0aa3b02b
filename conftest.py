# The shared fixtures (real PostgreSQL and broker) for every test tree in the workspace.
pytest_plugins = ["meterbot_testing.fixtures"]
