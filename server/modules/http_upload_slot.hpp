// The XMPP side of HTTP file upload (XEP-0363, module http_upload) as pure
// code: reading a slot request (<request filename size content-type/>),
// the rules a slot must pass (file name, size limit, quotas), the <slot/>
// answer, the errors the XEP names (file-too-large with <max-file-size/>,
// resource-constraint past a quota) and the service's disco#info form.
// No I/O, no state; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "xmpp/element.hpp"
#include "xmpp/errors.hpp"
#include "xmpp/result.hpp"

namespace server::upload {

struct SlotLimits {
    std::uint64_t max_file_size = 0;
    std::uint64_t quota_per_account = 0;  // bytes stored by one account; 0: none
    std::uint64_t quota_per_host = 0;     // bytes stored by the accounts of one host; 0: none
};

struct SlotRequest {
    std::string filename;
    std::uint64_t size = 0;
    std::string content_type;  // empty: not given
};

struct SlotRefusal {
    xmpp::StanzaError condition = xmpp::StanzaError::bad_request;
    std::string text;
    // Set for a file over the size limit: the <file-too-large/> element.
    std::optional<std::uint64_t> max_file_size = {};
};

// The request payload of a slot iq, checked against the size limit:
// bad-request when an attribute is missing or not a number, not-acceptable
// for an unusable name, size 0 or a malformed content type, not-acceptable
// with <file-too-large/> past max_file_size.
xmpp::Result<SlotRequest, SlotRefusal> parse_slot_request(const xmpp::Element& request, std::uint64_t max_file_size);

// resource-constraint when storing `size` more bytes would take the account
// (which stores `account_bytes` now, pending uploads counted) or its host
// past its quota.
std::optional<SlotRefusal> check_quota(std::uint64_t size, std::uint64_t account_bytes, std::uint64_t host_bytes,
                                       const SlotLimits& limits);

// <slot xmlns='urn:xmpp:http:upload:0'><put url/><get url/></slot>
xmpp::Element slot_element(const std::string& put_url, const std::string& get_url);

// The error reply to a slot iq.
xmpp::Element slot_error_reply(const xmpp::Element& iq, const SlotRefusal& refusal);

// The XEP-0128 form of the service's disco#info: FORM_TYPE and max-file-size.
xmpp::Element service_info_form(std::uint64_t max_file_size);

}  // namespace server::upload
