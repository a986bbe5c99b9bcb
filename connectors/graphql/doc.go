// Package graphql is the graphql.query step: a GraphQL query or mutation
// over HTTP POST (application/json), through a connection's client and
// authentication. A non-empty `errors` array fails the step with the
// messages; cursor pagination follows pageInfo.endCursor/hasNextPage, bounded
// by max_pages and by max_response_bytes over all pages.
package graphql
