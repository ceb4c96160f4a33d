-- Email sender authentication (issue 14): a mail whose sender is not verified keeps the warning
-- agents are shown, and opens a conversation of its own: it never joins the open conversation
-- of the address it claims, which stays the one open verified conversation per address.
ALTER TABLE messages ADD COLUMN sender_warning text;
ALTER TABLE conversations ADD COLUMN unverified boolean NOT NULL DEFAULT false;
DROP INDEX conversations_one_open;
CREATE UNIQUE INDEX conversations_one_open
    ON conversations (channel, customer_address) WHERE status <> 'resolved' AND NOT unverified;
-- Unverified mails claiming one address thread among themselves, apart from the verified ones.
CREATE UNIQUE INDEX conversations_one_open_unverified
    ON conversations (channel, customer_address) WHERE status <> 'resolved' AND unverified;
