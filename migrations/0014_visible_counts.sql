-- A non-admin's CRM lists count what they may see as two disjoint parts (src/read_model/mod.rs
-- `Viewer::parts`), each read from an index of its own instead of testing an OR on every row:
--   shared contacts      `share_type <> 0`                        → `*_shared`, index-only count;
--   private, managed     `share_type = 0 AND managers @> {caller}` → `*_private_by_managers`.
-- The managers GIN index becomes partial: only private contacts need it, so a shared contact's write
-- no longer maintains GIN entries for its managers.
CREATE INDEX persons_shared ON persons (id) WHERE share_type <> 0;
CREATE INDEX companies_shared ON companies (id) WHERE share_type <> 0;

DROP INDEX persons_by_managers;
DROP INDEX companies_by_managers;
CREATE INDEX persons_private_by_managers ON persons USING gin (managers) WHERE share_type = 0;
CREATE INDEX companies_private_by_managers ON companies USING gin (managers) WHERE share_type = 0;
