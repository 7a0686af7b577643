// Presence (RFC 6121 §3, §4) between local accounts: subscriptions through
// the Appendix A state machine, initial presence answered with the contacts'
// presence (probes answered locally) and broadcast to the contacts allowed
// to see it, unavailable presence broadcast when a resource goes away (also
// when its connection is lost), directed presence remembered and undone, a
// deleted account's subscriptions cancelled (the account_removing hook).
// The functions here run on the storage thread (see im_context.hpp).
#pragma once

#include "server/modules/im_context.hpp"

namespace server::modules {

// `user` (full JID) sends a subscription stanza of `kind` to `contact` (an
// account of a host we serve). With `update_own` false, the user's own roster
// is left alone (the caller is removing the item) and only the contact's side
// is processed.
void outbound_subscription(ImContext& im, const xmpp::Jid& user, const xmpp::Jid& contact, xmpp::SubStanza kind,
                           bool update_own = true);

}  // namespace server::modules
