"""Webhook routes (shared by every web process), replay protection for signed webhooks,
and schedule slots and cursors."""

import peewee


def up(db):
    class _Base(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class WebhookRoute(_Base):
        method = peewee.CharField(max_length=8)
        path = peewee.CharField(max_length=200)
        workflow_id = peewee.UUIDField()
        trigger_node_id = peewee.CharField(max_length=50)
        created_at = peewee.DateTimeField()

        class Meta:
            indexes = ((("method", "path"), True), (("workflow_id",), False))

    class WebhookReplay(_Base):
        signature = peewee.CharField(max_length=128, unique=True)
        expires_at = peewee.DateTimeField(index=True)

    class ScheduleSlot(_Base):
        workflow_id = peewee.UUIDField()
        trigger_node_id = peewee.CharField(max_length=50)
        slot_at = peewee.DateTimeField()
        execution_id = peewee.UUIDField(null=True)
        created_at = peewee.DateTimeField()

        class Meta:
            indexes = ((("workflow_id", "trigger_node_id", "slot_at"), True),)

    class ScheduleCursor(_Base):
        workflow_id = peewee.UUIDField()
        trigger_node_id = peewee.CharField(max_length=50)
        checked_until = peewee.DateTimeField()

        class Meta:
            indexes = ((("workflow_id", "trigger_node_id"), True),)

    db.create_tables([WebhookRoute, WebhookReplay, ScheduleSlot, ScheduleCursor])
