-- Computes late replies from the messages the store holds: once for stores that existed
-- before they were counted, and after an import. Apply keeps them up to date afterwards.
DELETE FROM late_replies;
INSERT INTO late_replies (conversation_id, sent_at, account_id, count)
SELECT m.conversation_id, m.sent_at, c.account_id, count(*)
FROM (
    SELECT conversation_id, sent_at, direction,
           max(CASE WHEN direction = 'inbound' THEN sent_at END) OVER (
               PARTITION BY conversation_id ORDER BY sent_at, id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_inbound
    FROM messages WHERE stub = 0
) m JOIN conversations c ON c.id = m.conversation_id
WHERE m.direction = 'outbound' AND (m.last_inbound IS NULL OR m.sent_at - m.last_inbound >= 86400000)
GROUP BY m.conversation_id, m.sent_at;
