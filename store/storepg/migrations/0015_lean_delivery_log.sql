-- Issue 14: two fewer b-trees per webhook request. Every accepted request
-- inserted its delivery-log row into the table and three indexes.
--
-- The received_at index served only the retention prune. Delivery ids are
-- time-ordered (a ULID of the time received), so the prune now walks the
-- primary key from the oldest id and stops after its batch.
--
-- The outcome index held every delivery, but a query by outcome is a query
-- for the few that were not accepted (rejections, duplicates, errors); a
-- list of accepted deliveries walks the primary key or the workflow index
-- newest first, where nearly every row matches. Queries filtering on other
-- outcomes repeat the condition (store.DeliveryOutcomeIndexTerm).
DROP INDEX webhook_deliveries_received;
DROP INDEX webhook_deliveries_outcome;
CREATE INDEX webhook_deliveries_outcome ON webhook_deliveries (outcome, id)
    WHERE outcome <> 'accepted';
