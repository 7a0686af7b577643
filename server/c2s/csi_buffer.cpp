#include "server/c2s/csi_buffer.hpp"

#include <algorithm>

#include "xmpp/namespaces.hpp"

namespace server {

namespace {

// Whether `message` carries a chat state and nothing a user reads: what
// XEP-0085 calls a standalone notification.
bool standalone_chat_state(const xmpp::Element& message) {
    bool chat_state = false;
    for (const auto& child : message.children()) {
        if (child.is_text()) continue;
        const std::string& ns = child.xmlns();
        if (ns == xmpp::ns::chat_states) {
            chat_state = true;
        } else if (ns == xmpp::ns::client) {
            if (child.name() != "thread") return false;  // a body, a subject, an error
        } else if (ns != xmpp::ns::hints && ns != xmpp::ns::stanza_id && ns != xmpp::ns::delay) {
            return false;
        }
    }
    return chat_state;
}

// The message a received carbon (XEP-0280) forwards, or null.
const xmpp::Element* received_carbon(const xmpp::Element& message) {
    const xmpp::Element* received = message.child("received", xmpp::ns::carbons);
    const xmpp::Element* forwarded = received ? received->child("forwarded", xmpp::ns::forward) : nullptr;
    return forwarded ? forwarded->child("message", xmpp::ns::client) : nullptr;
}

}  // namespace

CsiClass classify_for_csi(const xmpp::Element& stanza) {
    CsiClass verdict;
    if (stanza.xmlns() != xmpp::ns::client) return verdict;
    const std::string_view type = stanza.attr_or("type");
    if (stanza.name() == "presence") {
        if (type.empty() || type == "unavailable") {
            verdict.kind = CsiClass::Kind::presence;
            verdict.sender = stanza.attr_or("from");
        }
        return verdict;
    }
    if (stanza.name() != "message" || type == "error") return verdict;
    const xmpp::Element* inner = received_carbon(stanza);
    const xmpp::Element& shown = inner ? *inner : stanza;
    if (inner && (stanza.element_count() != 1 || shown.attr_or("type") == "error")) return verdict;
    if (standalone_chat_state(shown)) verdict.kind = CsiClass::Kind::chat_state;
    return verdict;
}

std::vector<CsiBuffer::Stanza> CsiBuffer::set_active() {
    inactive_ = false;
    return take_all();
}

std::vector<CsiBuffer::Stanza> CsiBuffer::offer(const xmpp::Element* stanza, std::string xml, bool keep) {
    const CsiClass verdict = stanza ? classify_for_csi(*stanza) : CsiClass{};
    if (verdict.kind == CsiClass::Kind::urgent) {
        std::vector<Stanza> out = take_all();
        out.push_back(Stanza{std::move(xml), keep});
        return out;
    }
    if (verdict.kind == CsiClass::Kind::presence)
        std::erase_if(held_, [&](const Held& h) { return !h.sender.empty() && h.sender == verdict.sender; });
    held_.push_back(Held{verdict.sender, Stanza{std::move(xml), keep}});
    if (held_.size() > max_held_) return take_all();
    return {};
}

std::size_t CsiBuffer::drop_held() {
    const std::size_t dropped = held_.size();
    held_.clear();
    return dropped;
}

std::vector<CsiBuffer::Stanza> CsiBuffer::take_all() {
    std::vector<Stanza> out;
    out.reserve(held_.size() + 1);
    for (Held& h : held_) out.push_back(std::move(h.stanza));
    held_.clear();
    return out;
}

}  // namespace server
