-- Computes every report figure from the messages the store holds. Run once by the
-- migrations for stores that existed before reports, and after an import (which writes
-- rows directly rather than through apply). Apply keeps them up to date afterwards.

DELETE FROM message_slots;
INSERT INTO message_slots (account_id, slot, inbound, outbound)
SELECT c.account_id, m.sent_at / 900000, sum(m.direction = 'inbound'), sum(m.direction = 'outbound')
FROM messages m JOIN conversations c ON c.id = m.conversation_id
WHERE m.stub = 0
GROUP BY c.account_id, m.sent_at / 900000;

UPDATE conversations SET first_message_at =
    (SELECT min(sent_at) FROM messages WHERE conversation_id = conversations.id AND stub = 0);

DELETE FROM customer_waits;
WITH ordered AS (
    SELECT conversation_id, sent_at, direction,
           lag(sent_at) OVER (PARTITION BY conversation_id ORDER BY sent_at, id) AS previous
    FROM messages WHERE stub = 0
), asks AS (
    SELECT conversation_id, sent_at AS asked_at,
           lead(sent_at) OVER (PARTITION BY conversation_id ORDER BY sent_at) AS next_ask
    FROM ordered
    WHERE direction = 'inbound' AND (previous IS NULL OR sent_at - previous >= 86400000)
)
INSERT INTO customer_waits (conversation_id, asked_at, answered_at, account_id)
SELECT conversation_id, asked_at,
       (SELECT min(o.sent_at) FROM messages o
        WHERE o.conversation_id = asks.conversation_id AND o.stub = 0 AND o.direction = 'outbound'
          AND o.sent_at >= asks.asked_at AND (asks.next_ask IS NULL OR o.sent_at < asks.next_ask)),
       (SELECT account_id FROM conversations WHERE id = asks.conversation_id)
FROM asks
WHERE true
ON CONFLICT (conversation_id, asked_at) DO NOTHING;
