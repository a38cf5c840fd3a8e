DROP TABLE identity_webhooks;
DROP TABLE identity_checks;
DROP TABLE owner_logins;
DROP TABLE invites;
DROP TABLE intro_consents;
