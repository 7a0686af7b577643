#include "xmpp/in_band_registration.hpp"

#include "xmpp/namespaces.hpp"

namespace xmpp::ibr {

namespace {

const xmpp::Element* first_element(const xmpp::Element& parent) {
    for (const auto& child : parent.children())
        if (!child.is_text()) return &child;
    return nullptr;
}

xmpp::Element field(std::string_view name, std::string text = {}) {
    xmpp::Element e{std::string(name), std::string(register_ns)};
    if (!text.empty()) e.add_text(std::move(text));
    return e;
}

}  // namespace

bool is_registration_request(const xmpp::Element& stanza) {
    if (stanza.name() != "iq" || stanza.xmlns() != xmpp::ns::client) return false;
    const std::string_view type = stanza.attr_or("type");
    if (type != "get" && type != "set") return false;
    const xmpp::Element* payload = first_element(stanza);
    return payload && payload->name() == "query" && payload->xmlns() == register_ns;
}

const xmpp::Element& query_of(const xmpp::Element& iq) { return *first_element(iq); }

bool wants_removal(const xmpp::Element& query) { return query.child("remove", register_ns) != nullptr; }

xmpp::Result<NewAccount, Refusal> new_account(const xmpp::Element& query) {
    const std::string username = query.child_text("username", register_ns);
    std::string password = query.child_text("password", register_ns);
    if (username.empty() || password.empty())
        return xmpp::fail(Refusal{xmpp::StanzaError::not_acceptable, "A username and a password are required"});
    auto user = xmpp::Jid::normalize_local(username);
    if (!user || user->empty())
        return xmpp::fail(Refusal{xmpp::StanzaError::jid_malformed, "The username is not a valid localpart"});
    return NewAccount{std::move(*user), std::move(password)};
}

xmpp::Result<std::string, Refusal> new_password(const xmpp::Element& query, const xmpp::Jid& requester) {
    const std::string username = query.child_text("username", register_ns);
    std::string password = query.child_text("password", register_ns);
    if (username.empty() || password.empty())
        return xmpp::fail(Refusal{xmpp::StanzaError::bad_request, "A username and a new password are required"});
    // Someone else's account: the requester's credentials do not cover it.
    // XEP-0077 names no condition for this case; not-authorized is RFC 6120's
    // "has provided improper credentials", as the requester has.
    auto user = xmpp::Jid::normalize_local(username);
    if (!user || *user != requester.local())
        return xmpp::fail(Refusal{xmpp::StanzaError::not_authorized, "You can change only your own password"});
    return password;
}

xmpp::Element registration_form() {
    xmpp::Element query{"query", std::string(register_ns)};
    query.add_child(field("instructions", "Choose a username and password for use with this service."));
    query.add_child(field("username"));
    query.add_child(field("password"));
    return query;
}

xmpp::Element registered_info(std::string_view user) {
    xmpp::Element query{"query", std::string(register_ns)};
    query.add_child(field("registered"));
    query.add_child(field("instructions", "You are registered. Send a new password to change it."));
    query.add_child(field("username", std::string(user)));
    query.add_child(field("password"));
    return query;
}

xmpp::Element stream_feature() { return xmpp::Element{"register", std::string(feature_ns)}; }

xmpp::Element error_reply(const xmpp::Element& iq, const Refusal& refusal) {
    xmpp::Element bare{iq.name(), iq.xmlns()};
    for (const auto& a : iq.attributes()) bare.append_attr(a.name, a.value);
    return xmpp::make_error_reply(bare, refusal.condition, refusal.text, refusal.type);
}

}  // namespace xmpp::ibr
