// The slot rules of XEP-0363 (server/modules/http_upload_slot.hpp): what a
// <request/> must hold, the size limit with <file-too-large/>, the quotas
// with <resource-constraint/>, the disco#info form.
#include <doctest/doctest.h>

#include "server/modules/http_upload_slot.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stored_xml.hpp"

namespace http_upload_slot_test {

using server::upload::parse_slot_request;
using server::upload::SlotLimits;

xmpp::Element request(std::string attrs) {
    auto e = xmpp::parse_stored("<request xmlns='urn:xmpp:http:upload:0' " + attrs + "/>");
    REQUIRE(e.has_value());
    return *e;
}

TEST_CASE("upload slot: a good request") {
    const auto r = parse_slot_request(request("filename='a.jpg' size='1000' content-type='image/jpeg'"), 1000);
    REQUIRE(r.ok());
    CHECK(r->filename == "a.jpg");
    CHECK(r->size == 1000);
    CHECK(r->content_type == "image/jpeg");
    const auto untyped = parse_slot_request(request("filename='a.bin' size='1'"), 1000);
    REQUIRE(untyped.ok());
    CHECK(untyped->content_type.empty());
}

TEST_CASE("upload slot: refusals") {
    auto condition = [](std::string attrs) {
        const auto r = parse_slot_request(request(std::move(attrs)), 1000);
        REQUIRE_FALSE(r.ok());
        return r.error().condition;
    };
    CHECK(condition("size='10'") == xmpp::StanzaError::bad_request);
    CHECK(condition("filename='a'") == xmpp::StanzaError::bad_request);
    CHECK(condition("filename='a' size='ten'") == xmpp::StanzaError::bad_request);
    CHECK(condition("filename='a' size='-1'") == xmpp::StanzaError::bad_request);
    CHECK(condition("filename='a' size='99999999999999999999999'") == xmpp::StanzaError::bad_request);
    CHECK(condition("filename='a/b' size='10'") == xmpp::StanzaError::not_acceptable);
    CHECK(condition("filename='..' size='10'") == xmpp::StanzaError::not_acceptable);
    CHECK(condition("filename='' size='10'") == xmpp::StanzaError::not_acceptable);
    CHECK(condition("filename='a' size='0'") == xmpp::StanzaError::not_acceptable);
    CHECK(condition("filename='a' size='10' content-type='not a type'") == xmpp::StanzaError::not_acceptable);
    const auto big = parse_slot_request(request("filename='a' size='1001'"), 1000);
    REQUIRE_FALSE(big.ok());
    CHECK(big.error().condition == xmpp::StanzaError::not_acceptable);
    CHECK(big.error().max_file_size == 1000u);
}

TEST_CASE("upload slot: file-too-large carries max-file-size") {
    const auto big = parse_slot_request(request("filename='a' size='1001'"), 1000);
    auto iq = xmpp::parse_stored("<iq xmlns='jabber:client' type='get' id='x' from='a@h/r' to='upload.h'/>");
    REQUIRE(iq.has_value());
    const xmpp::Element reply = server::upload::slot_error_reply(*iq, big.error());
    const xmpp::Element* error = reply.child("error");
    REQUIRE(error != nullptr);
    CHECK(error->attr_or("type") == "modify");
    CHECK(error->child("not-acceptable", "urn:ietf:params:xml:ns:xmpp-stanzas") != nullptr);
    const xmpp::Element* too_large = error->child("file-too-large", "urn:xmpp:http:upload:0");
    REQUIRE(too_large != nullptr);
    CHECK(too_large->child_text("max-file-size", "urn:xmpp:http:upload:0") == "1000");
}

TEST_CASE("upload slot: quotas per account and per host") {
    const SlotLimits limits{1000, 500, 800};
    using server::upload::check_quota;
    CHECK_FALSE(check_quota(500, 0, 0, limits).has_value());
    CHECK_FALSE(check_quota(100, 400, 700, limits).has_value());
    REQUIRE(check_quota(101, 400, 0, limits).has_value());
    CHECK(check_quota(101, 400, 0, limits)->condition == xmpp::StanzaError::resource_constraint);
    CHECK(check_quota(101, 0, 700, limits)->condition == xmpp::StanzaError::resource_constraint);
    CHECK(check_quota(1, 900, 0, limits).has_value());  // already past (the quota was lowered)
    const SlotLimits none{1000, 0, 0};
    CHECK_FALSE(check_quota(1000, 1u << 30, 1u << 31, none).has_value());
    auto iq = xmpp::parse_stored("<iq xmlns='jabber:client' type='get' id='x' from='a@h/r' to='upload.h'/>");
    const xmpp::Element reply = server::upload::slot_error_reply(*iq, *check_quota(101, 400, 0, limits));
    CHECK(reply.child("error")->attr_or("type") == "wait");
}

TEST_CASE("upload slot: the slot and the disco#info form") {
    const xmpp::Element slot = server::upload::slot_element("https://h/put?x=1&y=2", "https://h/get");
    CHECK(xmpp::to_string(slot) ==
          "<slot xmlns='urn:xmpp:http:upload:0'><put url='https://h/put?x=1&amp;y=2'/>"
          "<get url='https://h/get'/></slot>");
    const xmpp::Element form = server::upload::service_info_form(5242880);
    CHECK(xmpp::to_string(form) ==
          "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'>"
          "<value>urn:xmpp:http:upload:0</value></field><field var='max-file-size' type='text-single'>"
          "<value>5242880</value></field></x>");
}

}  // namespace http_upload_slot_test
