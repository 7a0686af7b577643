#include "xmpp/external_services.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

#include "xmpp/datetime.hpp"
#include "xmpp/namespaces.hpp"

namespace xmpp::extdisco {

namespace {

std::optional<ServiceType> parse_type(std::string_view text) {
    for (ServiceType t : {ServiceType::stun, ServiceType::turn, ServiceType::turns})
        if (to_string(t) == text) return t;
    return std::nullopt;
}

Element service_element(const Service& service, std::int64_t now, std::string_view user) {
    Element e("service", std::string(ns::extdisco));
    e.set_attr("host", service.host);
    e.set_attr("port", std::to_string(service.port));
    e.set_attr("transport", std::string(to_string(service.transport)));
    e.set_attr("type", std::string(to_string(service.type)));
    if (!service.name.empty()) e.set_attr("name", service.name);
    e.set_attr("restricted", service.restricted() ? "true" : "false");
    if (service.restricted()) {
        const Credentials c = make_credentials(service.secret, now, service.credentials_ttl, user);
        e.set_attr("username", c.username);
        e.set_attr("password", c.password);
        e.set_attr("expires", xep82_datetime(c.expires));
    }
    return e;
}

}  // namespace

std::string_view to_string(ServiceType type) {
    switch (type) {
        case ServiceType::stun: return "stun";
        case ServiceType::turn: return "turn";
        case ServiceType::turns: return "turns";
    }
    return "stun";
}

std::string_view to_string(Transport transport) { return transport == Transport::tcp ? "tcp" : "udp"; }

std::string turn_password(std::string_view secret, std::string_view username) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_size = 0;
    HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(username.data()), username.size(), mac, &mac_size);
    // EVP_EncodeBlock writes 4 characters per 3 bytes, and a NUL after them.
    std::string out(4 * ((mac_size + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(mac_size));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

Credentials make_credentials(std::string_view secret, std::int64_t now, unsigned ttl, std::string_view user) {
    Credentials c;
    c.expires = now + ttl;
    c.username = std::to_string(c.expires);
    if (!user.empty()) {
        c.username += ':';
        c.username += user;
    }
    c.password = turn_password(secret, c.username);
    return c;
}

Result<Element, StanzaError> answer_services(const Element& request, const std::vector<Service>& services,
                                            std::int64_t now, std::string_view user) {
    const std::string* type = request.attr("type");
    if (type && type->empty()) return fail(StanzaError::bad_request);
    Element result("services", std::string(ns::extdisco));
    if (type) result.set_attr("type", *type);
    for (const Service& service : services)
        if (!type || to_string(service.type) == *type) result.add_child(service_element(service, now, user));
    return result;
}

Result<Element, StanzaError> answer_credentials(const Element& request, const std::vector<Service>& services,
                                               std::int64_t now, std::string_view user) {
    const Element* asked = nullptr;
    for (const Element& child : request.children()) {
        if (child.is_text()) continue;
        if (asked || child.name() != "service" || child.xmlns() != ns::extdisco) return fail(StanzaError::bad_request);
        asked = &child;
    }
    if (!asked) return fail(StanzaError::bad_request);
    const std::string* host = asked->attr("host");
    const std::string* type_text = asked->attr("type");
    if (!host || host->empty() || !type_text || type_text->empty()) return fail(StanzaError::bad_request);
    std::optional<std::uint16_t> port;
    if (const std::string* p = asked->attr("port")) {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(p->data(), p->data() + p->size(), value);
        if (ec != std::errc() || end != p->data() + p->size() || value == 0 || value > 65535)
            return fail(StanzaError::bad_request);
        port = static_cast<std::uint16_t>(value);
    }
    const auto type = parse_type(*type_text);
    for (const Service& service : services) {
        if (!type || service.type != *type || service.host != *host || !service.restricted()) continue;
        if (port && service.port != *port) continue;
        Element result("credentials", std::string(ns::extdisco));
        result.add_child(service_element(service, now, user));
        return result;
    }
    return fail(StanzaError::item_not_found);
}

}  // namespace xmpp::extdisco
