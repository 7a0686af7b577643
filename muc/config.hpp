// A room's configuration (XEP-0045 §10.2, the muc#roomconfig form): what the
// owner sets, the form the owner is shown, and the submitted form read back.
// The service's bounds (ConfigLimits) cap what an owner may ask for. The
// form is untrusted input: bounded in fields, values and bytes, and every
// bad value is refused with the error of XEP-0045 §10.2 (not-acceptable),
// a malformed form with bad-request. Plain values and pure functions; any
// thread.
#pragma once

#include <cstddef>
#include <string>

#include "muc/error.hpp"
#include "xmpp/element.hpp"
#include "xmpp/result.hpp"

namespace muc {

// muc#roomconfig_whois: who sees occupants' real JIDs.
enum class WhoIs { moderators, anyone };
// muc#roomconfig_allowpm: who may send private messages to occupants.
enum class AllowPm { anyone, participants, moderators, none };

std::string_view to_string(WhoIs);
std::string_view to_string(AllowPm);

struct RoomConfig {
    std::string name;         // muc#roomconfig_roomname
    std::string description;  // muc#roomconfig_roomdesc
    bool persistent = false;  // muc#roomconfig_persistentroom: kept when the last occupant leaves
    bool public_room = true;  // muc#roomconfig_publicroom: listed in the service's disco#items
    bool members_only = false;
    bool moderated = false;   // visitors (no voice) may not speak
    std::string password;     // empty: none (muc#roomconfig_passwordprotectedroom + _roomsecret)
    std::size_t max_users = 0;  // muc#roomconfig_maxusers
    WhoIs whois = WhoIs::moderators;  // semi-anonymous, XEP-0045's default
    AllowPm allow_pm = AllowPm::anyone;
    bool change_subject = false;  // participants may change the subject (moderators always)
    bool allow_invites = false;   // members-only rooms: occupants below admin may invite
    std::size_t history_length = 0;  // muc#maxhistoryfetch: history messages sent on join at most
    // muc#roomconfig_enablearchiving (Prosody's name; ejabberd's form says
    // "mam"): groupchat messages go to the room's archive (XEP-0313). On by
    // default, as Prosody has it.
    bool archive = true;

    friend bool operator==(const RoomConfig&, const RoomConfig&) = default;
};

struct ConfigLimits {
    std::size_t max_users = 200;      // the service's bound on occupants per room
    std::size_t max_history = 50;     // the service's bound on kept history
    std::size_t max_text_bytes = 1024;  // name, description, password
    std::size_t max_fields = 64;
    std::size_t max_values = 64;      // per field
};

// The configuration a new room gets: XEP-0045's defaults within the limits,
// `default_history` history messages.
RoomConfig default_config(const ConfigLimits&, std::size_t default_history);

// Applies a submitted <x xmlns='jabber:x:data' type='submit'/> to `current`.
// Fields it leaves out keep their value; unknown fields are ignored (a client
// may send ejabberd's or Prosody's extras); a FORM_TYPE other than
// muc#roomconfig is bad-request.
xmpp::Result<RoomConfig, Error> apply_config_form(RoomConfig current, const xmpp::Element& x, const ConfigLimits&);

// The muc#roomconfig form (type 'form') with `config`'s values.
xmpp::Element config_form(const RoomConfig& config, const ConfigLimits&);

}  // namespace muc
