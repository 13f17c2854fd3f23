package journey

import (
	"testing"
	"time"
)

func TestAge(t *testing.T) {
	d := func(y, m, day int) time.Time { return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		birth, now time.Time
		want       int
	}{
		{d(2008, 12, 31), d(2026, 12, 31), 18}, // born in a leap year: the day of the year differs
		{d(2008, 12, 31), d(2026, 12, 30), 17},
		{d(2008, 3, 1), d(2026, 2, 28), 17},
		{d(2008, 2, 29), d(2026, 3, 1), 18},
		{d(2000, 1, 1), d(2026, 1, 1), 26},
	} {
		if got := age(c.birth, c.now); got != c.want {
			t.Errorf("age(%s, %s) = %d, want %d", c.birth.Format(time.DateOnly), c.now.Format(time.DateOnly), got, c.want)
		}
	}
}
