"""telegram-gateway: the Telegram bot residents talk to. It publishes commands to Kafka, keeps its own
read model from the services' events and answers residents when the resulting events arrive."""
