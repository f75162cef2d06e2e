-- Onboarding: contract templates (reference data), contract drafts, employment contracts.
CREATE SCHEMA IF NOT EXISTS onboarding;

CREATE TABLE onboarding.contract_templates (
    template_id      text    PRIMARY KEY,
    contract_type    text    NOT NULL,
    partner_type     text    NOT NULL,
    name             text    NOT NULL,
    commission_pct   numeric(5, 2) NOT NULL,
    payment_days     integer NOT NULL,
    duration_months  integer NOT NULL,
    UNIQUE (contract_type, partner_type)
);

INSERT INTO onboarding.contract_templates VALUES
 ('TPL-STD-IND', 'STANDARD',   'INDIVIDUAL', 'Standard freelancer agreement',        15.00, 30, 12),
 ('TPL-STD-EMP', 'STANDARD',   'EMPRESA',    'Standard company agreement',           12.50, 30, 12),
 ('TPL-STD-STA', 'STANDARD',   'STARTUP',    'Standard startup agreement',           12.00, 45, 12),
 ('TPL-PRE-IND', 'PREMIUM',    'INDIVIDUAL', 'Premium freelancer agreement',         12.00, 30, 24),
 ('TPL-PRE-EMP', 'PREMIUM',    'EMPRESA',    'Premium company agreement',            10.00, 30, 24),
 ('TPL-PRE-STA', 'PREMIUM',    'STARTUP',    'Premium startup agreement',             9.50, 45, 24),
 ('TPL-ENT-IND', 'ENTERPRISE', 'INDIVIDUAL', 'Enterprise individual agreement',       9.00, 15, 36),
 ('TPL-ENT-EMP', 'ENTERPRISE', 'EMPRESA',    'Enterprise master services agreement',  7.50, 15, 36),
 ('TPL-ENT-STA', 'ENTERPRISE', 'STARTUP',    'Enterprise startup agreement',          8.00, 30, 36);

CREATE TABLE onboarding.contracts (
    contract_id     text        PRIMARY KEY,
    partner_id      text        NOT NULL UNIQUE,
    contract_type   text        NOT NULL,
    template_id     text        NOT NULL REFERENCES onboarding.contract_templates,
    status          text        NOT NULL,
    business_name   text        NOT NULL,
    contact_email   text        NOT NULL,
    initial_data    jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE onboarding.employment_contracts (
    employment_contract_id text        PRIMARY KEY,
    hiring_id              text        NOT NULL UNIQUE,
    partner_id             text        NOT NULL,
    candidate_id           text        NOT NULL,
    job_id                 text        NOT NULL,
    job_title              text        NOT NULL,
    employment_type        text        NOT NULL,
    start_date             date        NOT NULL,
    salary                 numeric(15, 2) NOT NULL,
    currency               text        NOT NULL,
    terms                  jsonb       NOT NULL,
    status                 text        NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now()
);
