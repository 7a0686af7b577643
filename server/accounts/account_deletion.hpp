// AccountDeletion: deleting a local account from a running server, with what
// RFC 6121 and XEP-0077 §3.2 ask of it. One service for every way an account
// goes: `xmqd deluser` (through the control socket) and an in-band
// <remove/> (XEP-0077). In order:
//
//  1. every live session of the account ends with the stream error
//     <not-authorized/> "Account deleted" (XEP-0077 §3.2 names this error;
//     RFC 6120 §4.9.3.12: the entity is no longer authorized, its
//     authentication now names no account). Their end goes the usual way:
//     unavailable presence to the contacts that saw the account (§4.5.2),
//     last activity, XMQ subscriptions.
//  2. once the last of them has ended (so none of their stanzas can still
//     write for the account), on the storage thread: the modules'
//     account_removing hooks; the IM module sends, on the account's behalf,
//     unsubscribe and unsubscribed to each contact (RFC 6121 §3.2, §3.3),
//     so contacts get their roster push and the presence stanzas exactly as
//     for any cancellation;
//  3. every row of the account at once (Storage::remove_account, store/storage.hpp),
//     then the account_removed hooks (modules drop what they keep in memory);
//  4. a session bound meanwhile (a login that raced the deletion) is closed
//     too; `done` is called with the outcome.
//
// For XEP-0077: answer the <remove/> iq with its result first, then call
// remove(): the result is queued on the session before the stream error.
//
// Owned by ServerParts (server_parts.hpp), made before the modules load (the
// register module uses it), with watch_session_ends() called after they
// registered their hooks (its session_ended hook must run after theirs, so
// that their storage work for the ending session runs before step 2), all
// before the workers start. remove() may be called from any thread; `done`
// runs on the storage thread.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "server/core/services.hpp"
#include "xmpp/jid.hpp"

namespace server {

class AccountDeletion {
public:
    enum class Outcome { deleted, not_found, error };
    using Done = std::function<void(Outcome)>;

    explicit AccountDeletion(Services& services);
    AccountDeletion(const AccountDeletion&) = delete;
    AccountDeletion& operator=(const AccountDeletion&) = delete;

    // Registers the session_ended hook that lets a deletion go on once the
    // account's last session has ended. Once, after the modules loaded.
    void watch_session_ends();

    // `bare`: a bare JID of a host we serve.
    void remove(const xmpp::Jid& bare, Done done);

private:
    void close_sessions(const xmpp::Jid& bare) const;
    // Posts the rest of the deletion once `bare` has no session left.
    void settle(const xmpp::Jid& bare);
    void finish(const xmpp::Jid& bare, std::vector<Done> waiting);  // storage thread

    Services& services_;
    std::mutex mutex_;
    std::map<std::string, std::vector<Done>> waiting_;  // bare JID -> callers waiting for its sessions to end
};

}  // namespace server
