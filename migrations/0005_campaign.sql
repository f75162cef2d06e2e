-- Campaign Management: what each partner may do with campaigns.  Two independent switches,
-- one per upstream event, so the order the events arrive in does not matter.
CREATE SCHEMA IF NOT EXISTS campaign;

CREATE TABLE campaign.partner_permissions (
    partner_id                text        PRIMARY KEY,
    contract_id               text,
    contract_type             text,
    campaign_creation_enabled boolean     NOT NULL DEFAULT false,
    permissions               jsonb       NOT NULL DEFAULT '[]'::jsonb,
    budget_limits             jsonb       NOT NULL DEFAULT '{}'::jsonb,
    campaigns_enabled         boolean     NOT NULL DEFAULT false,
    validation_id             text,
    validation_outcome        text,
    updated_at                timestamptz NOT NULL DEFAULT now()
);
