-- Issue 19, state fees and payment.
-- Editions of the fee schedule (domain::fees::Edition): each complete, in
-- force from its date until the next; the built-in ones are loaded at start,
-- administrators add future ones. An edition in force is never changed (the
-- use case refuses it, and the UPDATE is conditional on the date).
CREATE TABLE fee_editions (
    effective_from TEXT PRIMARY KEY,
    discount_percent BIGINT NOT NULL,
    rates TEXT NOT NULL,
    created_by UUID REFERENCES accounts(id),
    created_at BIGINT NOT NULL
);

-- The UIN's unique part.
CREATE SEQUENCE uin_serials;

-- A charge of an application (one per application), made at its first
-- submission with the fee of that day: due, paid, cancelled (the application
-- ended unpaid), refunded.
CREATE TABLE charges (
    id UUID PRIMARY KEY,
    uin TEXT NOT NULL UNIQUE,
    application_id UUID NOT NULL UNIQUE REFERENCES applications(id),
    account_id UUID NOT NULL REFERENCES accounts(id),
    fee_key TEXT NOT NULL,
    category TEXT NOT NULL,
    kopecks BIGINT NOT NULL,
    discount_percent BIGINT NOT NULL,
    portal_kopecks BIGINT NOT NULL,
    due_stage TEXT NOT NULL,
    accrued_on TEXT NOT NULL,
    status TEXT NOT NULL,
    paid_by UUID,
    created_at BIGINT NOT NULL,
    paid_at BIGINT
);
CREATE INDEX charges_of_account ON charges (account_id, created_at);

-- Payments of a charge: through the portal's provider (its order id is the
-- payment's id) or at a bank (recorded by an officer with the bank's
-- reference). created → confirmed | failed; a confirmed payment the charge
-- did not need (paid twice, application cancelled) → refund_due → refunded;
-- an amount that differs from what was asked → mismatch (flagged).
CREATE TABLE payments (
    id UUID PRIMARY KEY,
    charge_id UUID NOT NULL REFERENCES charges(id),
    channel TEXT NOT NULL,
    reference TEXT UNIQUE,
    kopecks BIGINT NOT NULL,
    paid_kopecks BIGINT,
    status TEXT NOT NULL,
    note TEXT,
    recorded_by UUID REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    refunded_at BIGINT
);
CREATE INDEX payments_of ON payments (charge_id, created_at);
CREATE INDEX payments_by_status ON payments (status, created_at);

-- Every callback the provider (or someone posing as it) sent, with what
-- came of it: accepted, repeated, forged, unknown, mismatch, refund_due,
-- failed. The body is kept (at most 4 KB) for the inquiry a forged one starts.
CREATE TABLE payment_callbacks (
    id UUID PRIMARY KEY,
    received_at BIGINT NOT NULL,
    payment_id UUID,
    outcome TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX payment_callbacks_at ON payment_callbacks (received_at);
