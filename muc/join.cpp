#include "muc/join.hpp"

#include <charconv>

#include "xmpp/datetime.hpp"
#include "xmpp/namespaces.hpp"

namespace muc {

namespace {

// A decimal count without sign, at most 9 digits; nullopt when absent;
// an error when present and not that.
xmpp::Result<std::optional<std::size_t>, Error> count_attr(const xmpp::Element& e, std::string_view name) {
    const std::string* text = e.attr(name);
    if (!text) return std::optional<std::size_t>{};
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (text->empty() || text->size() > 9 || ec != std::errc() || end != text->data() + text->size())
        return xmpp::fail(Error{xmpp::StanzaError::bad_request, "history " + std::string(name) + " is not a count"});
    return std::optional<std::size_t>(n);
}

}  // namespace

xmpp::Result<JoinRequest, Error> parse_join(const xmpp::Element& presence) {
    JoinRequest join;
    const xmpp::Element* x = presence.child("x", xmpp::ns::muc);
    if (!x) return join;
    join.has_muc_x = true;
    if (const xmpp::Element* password = x->child("password", xmpp::ns::muc)) {
        std::string text = password->text();
        if (text.size() > max_password_bytes) return xmpp::fail(Error{xmpp::StanzaError::bad_request, "password too long"});
        join.password = std::move(text);
    }
    if (const xmpp::Element* history = x->child("history", xmpp::ns::muc)) {
        auto max_stanzas = count_attr(*history, "maxstanzas");
        if (!max_stanzas) return xmpp::fail(std::move(max_stanzas.error()));
        auto max_chars = count_attr(*history, "maxchars");
        if (!max_chars) return xmpp::fail(std::move(max_chars.error()));
        auto seconds = count_attr(*history, "seconds");
        if (!seconds) return xmpp::fail(std::move(seconds.error()));
        join.history.max_stanzas = *max_stanzas;
        join.history.max_chars = *max_chars;
        if (*seconds) join.history.seconds = static_cast<std::int64_t>(**seconds);
        if (const std::string* since = history->attr("since")) {
            auto stamp = xmpp::parse_xep82(*since);
            if (!stamp) return xmpp::fail(Error{xmpp::StanzaError::bad_request, "history since is not a date and time"});
            join.history.since = *stamp;
        }
    }
    return join;
}

}  // namespace muc
