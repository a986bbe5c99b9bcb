// Package openapi turns an OpenAPI 3.x document (YAML or JSON) into an app
// connector spec (apps.App), the same data a bundled connector's app.yaml
// holds, so what it produces is validated, registered and documented
// exactly like a bundled connector.
//
// The document is parsed by github.com/getkin/kin-openapi with external
// references refused (a document cannot make the importer read files or
// fetch URLs). Then:
//
//   - every operation becomes an apps.Operation whose id is the
//     operationId in snake_case, or, when it has none, a readable id made
//     of the method and the path ("get_pets_by_pet_id"); ids are made
//     unique with a numeric suffix;
//   - parameters (path, query, header) and the request body's properties
//     become inputs, $refs resolved; recursive schemas stop at Options.
//     MaxDepth, where a value is taken as it is (an object or any JSON);
//   - securitySchemes become the credential kinds of spec.go (bearer,
//     basic, api_key in a header or the query, oauth2_code and
//     oauth2_client_credentials with their endpoints and scopes
//     pre-filled);
//   - the first server, its variables set to their defaults, is the base
//     URL;
//   - obvious pagination (Stripe's starting_after and has_more, a
//     page/per_page pair, offset and limit, a next cursor in the body) is
//     declared so `paginate: all` works.
//
// Everything the document can multiply is bounded (Options): its size,
// the number of operations, the depth and width of schemas, so a hostile
// document fails fast with an error that says which limit it hit.
package openapi
