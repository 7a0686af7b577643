#include "muc/config.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <vector>

#include "xmpp/data_form.hpp"
#include "xmpp/namespaces.hpp"

namespace muc {

namespace {

using xmpp::StanzaError;
using xmpp::form::add_option;
using xmpp::form::add_value;
using xmpp::form::field;
using xmpp::form::parse_boolean;

constexpr std::string_view kName = "muc#roomconfig_roomname";
constexpr std::string_view kDescription = "muc#roomconfig_roomdesc";
constexpr std::string_view kPersistent = "muc#roomconfig_persistentroom";
constexpr std::string_view kPublic = "muc#roomconfig_publicroom";
constexpr std::string_view kMembersOnly = "muc#roomconfig_membersonly";
constexpr std::string_view kModerated = "muc#roomconfig_moderatedroom";
constexpr std::string_view kPasswordProtected = "muc#roomconfig_passwordprotectedroom";
constexpr std::string_view kSecret = "muc#roomconfig_roomsecret";
constexpr std::string_view kMaxUsers = "muc#roomconfig_maxusers";
constexpr std::string_view kWhois = "muc#roomconfig_whois";
constexpr std::string_view kAllowPm = "muc#roomconfig_allowpm";
constexpr std::string_view kChangeSubject = "muc#roomconfig_changesubject";
constexpr std::string_view kAllowInvites = "muc#roomconfig_allowinvites";
constexpr std::string_view kHistory = "muc#maxhistoryfetch";
constexpr std::string_view kArchive = "muc#roomconfig_enablearchiving";
constexpr std::string_view kArchiveEjabberd = "mam";

Error not_acceptable(std::string_view var, std::string_view why) {
    return {StanzaError::not_acceptable, std::string(var) + ": " + std::string(why)};
}

// A decimal count without sign, at most 9 digits (no overflow).
std::optional<std::size_t> parse_count(std::string_view v) {
    if (v.empty() || v.size() > 9) return std::nullopt;
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
    return n;
}

std::optional<WhoIs> parse_whois(std::string_view v) {
    if (v == "moderators") return WhoIs::moderators;
    if (v == "anyone") return WhoIs::anyone;
    return std::nullopt;
}

std::optional<AllowPm> parse_allow_pm(std::string_view v) {
    for (auto pm : {AllowPm::anyone, AllowPm::participants, AllowPm::moderators, AllowPm::none})
        if (to_string(pm) == v) return pm;
    return std::nullopt;
}

xmpp::Element text_field(std::string_view var, std::string_view type, std::string_view label, std::string_view value) {
    xmpp::Element f = field(var, type, label);
    add_value(f, value);
    return f;
}

xmpp::Element bool_field(std::string_view var, std::string_view label, bool value) {
    return text_field(var, "boolean", label, value ? "1" : "0");
}

}  // namespace

std::string_view to_string(WhoIs w) { return w == WhoIs::anyone ? "anyone" : "moderators"; }

std::string_view to_string(AllowPm pm) {
    switch (pm) {
    case AllowPm::anyone: return "anyone";
    case AllowPm::participants: return "participants";
    case AllowPm::moderators: return "moderators";
    case AllowPm::none: return "none";
    }
    return "anyone";
}

RoomConfig default_config(const ConfigLimits& limits, std::size_t default_history) {
    RoomConfig config;
    config.max_users = limits.max_users;
    config.history_length = std::min(default_history, limits.max_history);
    return config;
}

xmpp::Result<RoomConfig, Error> apply_config_form(RoomConfig config, const xmpp::Element& x,
                                                  const ConfigLimits& limits) {
    if (x.name() != "x" || x.xmlns() != xmpp::ns::data_forms || x.attr_or("type") != "submit")
        return xmpp::fail(Error{StanzaError::bad_request, "expected a data form of type submit"});
    // var -> values, each field once.
    std::map<std::string, std::vector<std::string>, std::less<>> fields;
    for (const auto& child : x.children()) {
        if (child.is_text() || child.name() != "field" || child.xmlns() != xmpp::ns::data_forms) continue;
        if (fields.size() >= limits.max_fields) return xmpp::fail(Error{StanzaError::not_acceptable, "too many fields"});
        const std::string* var = child.attr("var");
        if (!var || var->empty() || var->size() > 256)
            return xmpp::fail(Error{StanzaError::bad_request, "a field without a usable var"});
        std::vector<std::string> values;
        for (const auto& value : child.children()) {
            if (value.is_text() || value.name() != "value") continue;
            if (values.size() >= limits.max_values)
                return xmpp::fail(not_acceptable(*var, "too many values"));
            std::string text = value.text();
            if (text.size() > limits.max_text_bytes) return xmpp::fail(not_acceptable(*var, "value too long"));
            values.push_back(std::move(text));
        }
        if (!fields.emplace(*var, std::move(values)).second)
            return xmpp::fail(Error{StanzaError::bad_request, *var + ": given twice"});
    }
    if (auto it = fields.find("FORM_TYPE"); it != fields.end()) {
        if (it->second.size() != 1 || it->second[0] != xmpp::ns::muc_roomconfig)
            return xmpp::fail(Error{StanzaError::bad_request, "FORM_TYPE is not muc#roomconfig"});
    }
    // The one value of a single-valued field, or nullopt when absent (an
    // empty field reads as the empty string).
    auto single = [&fields](std::string_view var) -> xmpp::Result<std::optional<std::string>, Error> {
        auto it = fields.find(var);
        if (it == fields.end()) return std::optional<std::string>{};
        if (it->second.size() > 1) return xmpp::fail(not_acceptable(var, "more than one value"));
        return std::optional<std::string>(it->second.empty() ? std::string() : it->second[0]);
    };
    auto boolean = [&single](std::string_view var, bool& out) -> std::optional<Error> {
        auto value = single(var);
        if (!value) return value.error();
        if (!*value) return std::nullopt;
        auto parsed = parse_boolean(**value);
        if (!parsed) return not_acceptable(var, "not a boolean");
        out = *parsed;
        return std::nullopt;
    };
    for (auto [var, out] : {std::pair{kPersistent, &config.persistent}, std::pair{kPublic, &config.public_room},
                            std::pair{kMembersOnly, &config.members_only}, std::pair{kModerated, &config.moderated},
                            std::pair{kChangeSubject, &config.change_subject},
                            std::pair{kAllowInvites, &config.allow_invites},
                            std::pair{kArchiveEjabberd, &config.archive}, std::pair{kArchive, &config.archive}})
        if (auto error = boolean(var, *out)) return xmpp::fail(std::move(*error));
    for (auto [var, out] : {std::pair{kName, &config.name}, std::pair{kDescription, &config.description}}) {
        auto value = single(var);
        if (!value) return xmpp::fail(std::move(value.error()));
        if (*value) *out = std::move(**value);
    }

    // The password: protected with a secret, or not protected (the secret
    // forgotten). A protected room without a secret is refused.
    bool is_protected = !config.password.empty();
    if (auto error = boolean(kPasswordProtected, is_protected)) return xmpp::fail(std::move(*error));
    auto secret = single(kSecret);
    if (!secret) return xmpp::fail(std::move(secret.error()));
    if (*secret && !(*secret)->empty()) {
        config.password = **secret;
        if (!fields.contains(kPasswordProtected)) is_protected = true;
    }
    if (!is_protected)
        config.password.clear();
    else if (config.password.empty())
        return xmpp::fail(not_acceptable(kPasswordProtected, "a password-protected room needs a password"));

    auto max_users = single(kMaxUsers);
    if (!max_users) return xmpp::fail(std::move(max_users.error()));
    if (*max_users) {
        // "none" (Prosody's and ejabberd's word for no room limit) is the service's bound.
        auto n = **max_users == "none" ? std::optional<std::size_t>(limits.max_users) : parse_count(**max_users);
        if (!n || *n == 0) return xmpp::fail(not_acceptable(kMaxUsers, "not a positive number"));
        if (*n > limits.max_users)
            return xmpp::fail(not_acceptable(kMaxUsers, "at most " + std::to_string(limits.max_users)));
        config.max_users = *n;
    }
    auto history = single(kHistory);
    if (!history) return xmpp::fail(std::move(history.error()));
    if (*history) {
        auto n = parse_count(**history);
        if (!n) return xmpp::fail(not_acceptable(kHistory, "not a number"));
        if (*n > limits.max_history)
            return xmpp::fail(not_acceptable(kHistory, "at most " + std::to_string(limits.max_history)));
        config.history_length = *n;
    }
    auto whois = single(kWhois);
    if (!whois) return xmpp::fail(std::move(whois.error()));
    if (*whois) {
        auto w = parse_whois(**whois);
        if (!w) return xmpp::fail(not_acceptable(kWhois, "moderators or anyone"));
        config.whois = *w;
    }
    auto allow_pm = single(kAllowPm);
    if (!allow_pm) return xmpp::fail(std::move(allow_pm.error()));
    if (*allow_pm) {
        auto pm = parse_allow_pm(**allow_pm);
        if (!pm) return xmpp::fail(not_acceptable(kAllowPm, "anyone, participants, moderators or none"));
        config.allow_pm = *pm;
    }
    return config;
}

xmpp::Element config_form(const RoomConfig& config, const ConfigLimits& limits) {
    xmpp::Element x("x", std::string(xmpp::ns::data_forms));
    x.set_attr("type", "form");
    x.add_child(xmpp::Element("title", std::string(xmpp::ns::data_forms))).add_text("Room configuration");
    x.add_child(text_field("FORM_TYPE", "hidden", {}, xmpp::ns::muc_roomconfig));
    x.add_child(text_field(kName, "text-single", "Name", config.name));
    x.add_child(text_field(kDescription, "text-single", "Description", config.description));
    x.add_child(bool_field(kPersistent, "Keep the room when the last occupant leaves", config.persistent));
    x.add_child(bool_field(kPublic, "List the room in the directory of rooms", config.public_room));
    x.add_child(bool_field(kMembersOnly, "Only members may enter", config.members_only));
    x.add_child(bool_field(kModerated, "Only occupants with voice may speak", config.moderated));
    x.add_child(bool_field(kPasswordProtected, "A password is needed to enter", !config.password.empty()));
    x.add_child(text_field(kSecret, "text-private", "Password", config.password));

    xmpp::Element max_users = field(kMaxUsers, "list-single", "Maximum number of occupants");
    add_value(max_users, std::to_string(config.max_users));
    std::vector<std::size_t> choices;
    for (std::size_t n : {10, 20, 30, 50, 100, 200, 500, 1000})
        if (n < limits.max_users) choices.push_back(n);
    choices.push_back(limits.max_users);
    if (std::find(choices.begin(), choices.end(), config.max_users) == choices.end())
        choices.push_back(config.max_users);
    std::sort(choices.begin(), choices.end());
    for (std::size_t n : choices) add_option(max_users, std::to_string(n), std::to_string(n));
    x.add_child(std::move(max_users));

    xmpp::Element whois = field(kWhois, "list-single", "Who may see the occupants' real addresses");
    add_value(whois, to_string(config.whois));
    add_option(whois, "moderators", "Moderators only");
    add_option(whois, "anyone", "Anyone");
    x.add_child(std::move(whois));

    xmpp::Element pm = field(kAllowPm, "list-single", "Who may send private messages");
    add_value(pm, to_string(config.allow_pm));
    add_option(pm, "anyone", "Anyone");
    add_option(pm, "participants", "Participants and moderators");
    add_option(pm, "moderators", "Moderators only");
    add_option(pm, "none", "Nobody");
    x.add_child(std::move(pm));

    x.add_child(bool_field(kChangeSubject, "Participants may change the subject", config.change_subject));
    x.add_child(bool_field(kAllowInvites, "Occupants may invite others to a members-only room", config.allow_invites));
    x.add_child(text_field(kHistory, "text-single",
                           "Messages of history sent on entering (at most " + std::to_string(limits.max_history) + ")",
                           std::to_string(config.history_length)));
    x.add_child(bool_field(kArchive, "Keep an archive of the room's messages", config.archive));
    return x;
}

}  // namespace muc
