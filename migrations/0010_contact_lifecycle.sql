-- Contacts that change: every view row carries its stream's version (the ETag), and CRM contacts
-- carry their contact data ("commonData"), searchable by value for `crm/contact/bycontactinfo`.
-- Deleted contacts have no row.

ALTER TABLE persons
    ADD COLUMN version     bigint NOT NULL DEFAULT 1,
    ADD COLUMN common_data jsonb  NOT NULL DEFAULT '[]';
ALTER TABLE companies
    ADD COLUMN version     bigint NOT NULL DEFAULT 1,
    ADD COLUMN common_data jsonb  NOT NULL DEFAULT '[]';
ALTER TABLE users
    ADD COLUMN version bigint NOT NULL DEFAULT 1;

CREATE INDEX persons_by_common_data ON persons USING gin (common_data jsonb_path_ops);
CREATE INDEX companies_by_common_data ON companies USING gin (common_data jsonb_path_ops);

-- Who sees a contact (a non-admin's lists: `share_type <> 0 OR managers @> ARRAY[caller]`).
CREATE INDEX persons_by_managers ON persons USING gin (managers);
CREATE INDEX companies_by_managers ON companies USING gin (managers);
