"""Notifications: the transactional outbox of DESIGN.md's fourth flow.

How a notice travels: a service calls `services.record_dispatch(event=…, target=…,
audience=…, person=…, context={…})` inside its own transaction → after the commit the
worker expands the Dispatch into one Delivery per recipient (audiences.py: the rule, then
the pages' permission functions) → batches are claimed and sent over one SMTP connection
each (services.send_batch, transport.py) → the beat sweep re-queues anything left behind.
The secretariat follows it all at /notifications/dispatches/.

Adding a notice:

1. an `Event` in models.Dispatch and its category in models.CATEGORY_OF_EVENT (what the
   unsubscribe link and the settings page switch off);
2. templates/email/<event>/subject.txt, body.txt and body.html, extending email/base.*,
   every sentence in {% translate %} or {% blocktranslate %};
3. if calendars should change, its METHOD in emails.CALENDAR_METHOD_OF_EVENT;
4. `record_dispatch` in the service that makes the change, inside its transaction, with
   JSON context (times as ISO strings in keys ending "_at");
5. tests: test_emails.py renders every event in both languages on its own.
"""
