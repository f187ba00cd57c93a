"""Web Push to browsers (FR8): the subscriptions browsers register (models, subscriptions), the
VAPID identity (vapid), the message a delivery becomes (message), the sender that encrypts and
posts it to each push service (sender), and the directory telling the fan-out who is reachable
(directory)."""
