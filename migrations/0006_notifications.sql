-- Notifications: one row per alert sent, so an alert is never notified twice.
CREATE SCHEMA IF NOT EXISTS notifications;

CREATE TABLE notifications.sent (
    alert_id        text        PRIMARY KEY,
    partner_id      text        NOT NULL,
    alert_type      text        NOT NULL,
    channel         text        NOT NULL,
    provider_id     text        NOT NULL,
    sent_at         timestamptz NOT NULL DEFAULT now()
);
