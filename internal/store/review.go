package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SetVerificationTerms replaces the search terms of a case: keyed hashes
// of its names and document number, made by the caller, so that reviewers
// find a case by what it says without the database holding it in clear.
// No terms clears them (an erased case, a document asked for again).
func (c conn) SetVerificationTerms(ctx context.Context, id string, terms []string) error {
	if _, err := c.exec(ctx, `DELETE FROM verification_terms WHERE verification_id = $1`, id); err != nil {
		return fmt.Errorf("clear search terms: %w", err)
	}
	terms = slices.Compact(slices.Sorted(slices.Values(terms)))
	for _, t := range terms {
		if _, err := c.exec(ctx, `INSERT INTO verification_terms (term, verification_id) VALUES ($1, $2)`, t, id); err != nil {
			return fmt.Errorf("add search term: %w", err)
		}
	}
	return nil
}

// VerificationsWithTerms lists the cases that have every one of terms (at
// most 500).
func (c conn) VerificationsWithTerms(ctx context.Context, terms []string) ([]string, error) {
	terms = slices.Compact(slices.Sorted(slices.Values(terms)))
	if len(terms) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(terms)+1)
	marks := make([]string, len(terms))
	for i, t := range terms {
		args = append(args, t)
		marks[i] = "$" + strconv.Itoa(i+1)
	}
	args = append(args, len(terms))
	return c.ids(ctx, "search cases", `SELECT verification_id FROM verification_terms WHERE term IN (`+strings.Join(marks, ", ")+`)
		GROUP BY verification_id HAVING COUNT(*) = $`+strconv.Itoa(len(terms)+1)+` LIMIT 500`, args...)
}

// VerificationIDs lists every case's id (for a rebuild of what is derived
// from them).
func (c conn) VerificationIDs(ctx context.Context) ([]string, error) {
	return c.ids(ctx, "list case ids", `SELECT id FROM verifications ORDER BY id`)
}
