-- Partner Management: partner status, contracts, matches, hires, campaign reports, alerts and
-- the running metrics each snapshot is taken from.
CREATE SCHEMA IF NOT EXISTS partner;

CREATE TABLE partner.partners (
    partner_id     text        PRIMARY KEY,
    status         text        NOT NULL,
    contract_id    text,
    contract_type  text,
    signed_at      timestamptz,
    activated_at   timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE partner.contracts (
    contract_id          text        PRIMARY KEY,
    partner_id           text        NOT NULL,
    contract_type        text        NOT NULL,
    effective_date       date        NOT NULL,
    expiration_date      date        NOT NULL,
    commission_structure jsonb       NOT NULL,
    payment_terms        jsonb       NOT NULL,
    sla_terms            jsonb       NOT NULL,
    feature_flags        jsonb       NOT NULL,
    activated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE partner.candidate_matches (
    match_id      text          PRIMARY KEY,
    partner_id    text          NOT NULL,
    request_id    text          NOT NULL,
    job_id        text          NOT NULL,
    candidate_id  text          NOT NULL,
    candidate_name text         NOT NULL,
    score         numeric(5, 2) NOT NULL,
    rank          integer       NOT NULL,
    recorded_at   timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX candidate_matches_partner ON partner.candidate_matches (partner_id);

CREATE TABLE partner.hires (
    hiring_id         text           PRIMARY KEY,
    partner_id        text           NOT NULL,
    candidate_id      text           NOT NULL,
    job_id            text           NOT NULL,
    job_title         text           NOT NULL,
    recruitment_cost  numeric(15, 2) NOT NULL,
    time_to_hire      integer        NOT NULL,
    recorded_at       timestamptz    NOT NULL DEFAULT now()
);
CREATE INDEX hires_partner ON partner.hires (partner_id);

CREATE TABLE partner.campaign_reports (
    report_id     text        PRIMARY KEY,
    partner_id    text        NOT NULL,
    campaign_id   text        NOT NULL,
    period        jsonb       NOT NULL,
    roi           numeric(15, 4),
    spend         numeric(15, 2),
    revenue       numeric(15, 2),
    risk_indicators jsonb     NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaign_reports_partner ON partner.campaign_reports (partner_id);

CREATE TABLE partner.budget_alerts (
    alert_id          text           PRIMARY KEY,
    partner_id        text           NOT NULL,
    campaign_id       text           NOT NULL,
    alert_type        text           NOT NULL,
    threshold_reached numeric(15, 2) NOT NULL,
    current_spend     numeric(15, 2) NOT NULL,
    budget_limit      numeric(15, 2) NOT NULL,
    recorded_at       timestamptz    NOT NULL DEFAULT now()
);
CREATE INDEX budget_alerts_partner ON partner.budget_alerts (partner_id);

CREATE TABLE partner.metrics (
    partner_id              text           PRIMARY KEY,
    successful_hires        integer        NOT NULL DEFAULT 0,
    total_recruitment_cost  numeric(15, 2) NOT NULL DEFAULT 0,
    total_time_to_hire      bigint         NOT NULL DEFAULT 0,
    candidate_matches       integer        NOT NULL DEFAULT 0,
    campaign_reports        integer        NOT NULL DEFAULT 0,
    latest_roi              numeric(15, 4),
    budget_alerts           integer        NOT NULL DEFAULT 0,
    critical_alerts         integer        NOT NULL DEFAULT 0,
    updated_at              timestamptz    NOT NULL DEFAULT now()
);
