// @generated-style: mirrors migrations/ exactly (checked by `schema_matches_the_database`).

diesel::table! {
    agent_endpoints (id) {
        id -> Int8,
        owner_id -> Nullable<Int8>,
        persona_id -> Nullable<Int8>,
        runtime -> Text,
        callback_url -> Nullable<Text>,
        public_key -> Nullable<Text>,
        key_address -> Nullable<Text>,
        challenge_nonce -> Nullable<Text>,
        status -> Text,
        verified_via -> Nullable<Text>,
        created_at -> Timestamptz,
        verified_at -> Nullable<Timestamptz>,
        callback_secret_enc -> Nullable<Bytea>,
    }
}

diesel::table! {
    board_posts (id) {
        id -> Int8,
        board -> Text,
        persona_id -> Nullable<Int8>,
        handle -> Text,
        body -> Text,
        status -> Text,
        created_at -> Timestamptz,
        couple_id -> Nullable<Int8>,
    }
}

diesel::table! {
    capacity (id) {
        id -> Int2,
        admitted -> Int4,
    }
}

diesel::table! {
    chaperone_log (id) {
        id -> Int8,
        surface -> Text,
        target_type -> Text,
        target_id -> Nullable<Int8>,
        verdict -> Text,
        reason -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    couples (id) {
        id -> Int8,
        persona_a -> Int8,
        persona_b -> Int8,
        state -> Text,
        created_at -> Timestamptz,
        cycle_id -> Nullable<Uuid>,
        similarity -> Nullable<Float4>,
        ended_at -> Nullable<Timestamptz>,
        ended_by -> Nullable<Int8>,
    }
}

diesel::table! {
    embeddings (heart_hash, model) {
        heart_hash -> Text,
        model -> Text,
        dims -> Int4,
        vector -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    beats (id) {
        id -> Uuid,
        trigger -> Text,
        pairs -> Int4,
        created -> Int4,
        started_at -> Timestamptz,
        finished_at -> Timestamptz,
        semantic -> Bool,
        eligible -> Int4,
        embedded -> Int4,
        embed_failed -> Int4,
        skipped -> Int4,
        stages -> Jsonb,
    }
}

diesel::table! {
    notifications (id) {
        id -> Int8,
        endpoint_id -> Int8,
        owner_id -> Nullable<Int8>,
        kind -> Text,
        payload -> Jsonb,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
        failed_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        claim_token -> Nullable<Int8>,
        claimed_until -> Nullable<Timestamptz>,
        event_id -> Nullable<Int8>,
    }
}

diesel::table! {
    owner_events (id) {
        id -> Int8,
        owner_id -> Int8,
        about_owner -> Nullable<Int8>,
        kind -> Text,
        payload -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    notification_endpoints (endpoint_id) {
        endpoint_id -> Int8,
        failures -> Int4,
        paused_until -> Timestamptz,
    }
}

diesel::table! {
    events (id) {
        id -> Int8,
        kind -> Text,
        data -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    geo_denials (day, country) {
        day -> Date,
        country -> Text,
        count -> Int8,
    }
}

diesel::table! {
    heart_files (id) {
        id -> Int8,
        owner_id -> Int8,
        version -> Int4,
        display_name -> Nullable<Text>,
        home_market -> Text,
        active_market -> Text,
        available_for -> Nullable<Text>,
        research_optin -> Text,
        age_attested -> Bool,
        contact_ref_enc -> Nullable<Bytea>,
        heart -> Jsonb,
        heart_hash -> Text,
        created_at -> Timestamptz,
        status -> Text,
        reason -> Text,
    }
}

diesel::table! {
    owners (id) {
        id -> Int8,
        tier -> Text,
        token_hash -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    personas (id) {
        id -> Int8,
        owner_id -> Nullable<Int8>,
        handle -> Text,
        model -> Text,
        heart -> Jsonb,
        heart_hash -> Text,
        redteam -> Bool,
        home_market -> Text,
        active_market -> Text,
        status -> Text,
        reason -> Text,
        created_at -> Timestamptz,
        admitted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    reports (id) {
        id -> Int8,
        target_type -> Text,
        target_id -> Int8,
        reason -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    turns (id) {
        id -> Int8,
        couple_id -> Int8,
        author_persona_id -> Nullable<Int8>,
        author -> Text,
        body -> Text,
        status -> Text,
        reason -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(agent_endpoints -> owners (owner_id));
diesel::joinable!(agent_endpoints -> personas (persona_id));
diesel::joinable!(board_posts -> personas (persona_id));
diesel::joinable!(heart_files -> owners (owner_id));
diesel::joinable!(personas -> owners (owner_id));
diesel::joinable!(turns -> couples (couple_id));

diesel::table! {
    orders (id) {
        id -> Text,
        owner_id -> Nullable<Int8>,
        couple_id -> Nullable<Int8>,
        sku -> Text,
        amount -> Int8,
        status -> Text,
        reason -> Nullable<Text>,
        report -> Nullable<Text>,
        claimed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    receipts (id) {
        id -> Int8,
        order_id -> Text,
        payer -> Text,
        transaction -> Text,
        network -> Text,
        amount -> Int8,
        auth_nonce -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    buyback_ledger (id) {
        id -> Int8,
        receipt_id -> Int8,
        amount -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(notifications -> agent_endpoints (endpoint_id));
diesel::joinable!(notification_endpoints -> agent_endpoints (endpoint_id));
diesel::joinable!(buyback_ledger -> receipts (receipt_id));

// Escalation (issue 5).

diesel::table! {
    intro_consents (couple_id, owner_id) {
        couple_id -> Int8,
        owner_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    invites (id) {
        id -> Int8,
        couple_id -> Int8,
        owner_id -> Int8,
        token_hash -> Bytea,
        token_enc -> Nullable<Bytea>,
        created_at -> Timestamptz,
        claimed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    owner_logins (owner_id) {
        owner_id -> Int8,
        login_user -> Text,
        claimed_at -> Timestamptz,
    }
}

diesel::table! {
    identity_checks (session_id) {
        session_id -> Text,
        owner_id -> Int8,
        status -> Text,
        verified -> Bool,
        age_over_18 -> Nullable<Bool>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        verified_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    identity_webhooks (session_id, webhook_type, status, effect) {
        session_id -> Text,
        webhook_type -> Text,
        status -> Text,
        effect -> Text,
        received_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    intro_consents,
    invites,
    owner_logins,
    identity_checks,
    identity_webhooks,
    agent_endpoints,
    beats,
    buyback_ledger,
    orders,
    receipts,
    embeddings,
    notifications,
    notification_endpoints,
    owner_events,
    board_posts,
    capacity,
    chaperone_log,
    couples,
    events,
    geo_denials,
    heart_files,
    owners,
    personas,
    reports,
    settings,
    turns,
);
