// Package soap is the soap.call step: a SOAP 1.1 or 1.2 envelope built
// from a template (an object turned into escaped XML, or XML text), the
// SOAPAction, an optional WS-Security UsernameToken (PasswordText or
// PasswordDigest) from a basic credential, and the XML answer converted to
// JSON at an XPath selection. Faults become step errors carrying faultcode
// and faultstring. The answer is bounded in bytes and depth; DTD entities
// are never expanded, so "billion laughs" documents are refused.
package soap
