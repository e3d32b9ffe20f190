package alert

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// recordingSNS records the topics published to; failing ones refuse.
type recordingSNS struct {
	topics  []string
	failing map[string]bool
}

func (r *recordingSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	r.topics = append(r.topics, *in.TopicArn)
	if r.failing[*in.TopicArn] {
		return nil, errors.New("AuthorizationError")
	}
	return &sns.PublishOutput{}, nil
}

func TestPublisherSendsToEveryListedTopic(t *testing.T) {
	const own, central = "arn:aws:sns:eu-west-1:200000000001:own", "arn:aws:sns:eu-west-1:100000000002:org-alerts"
	tests := []struct {
		name, topics string
		failing      map[string]bool
		want         []string
		err          string
	}{
		{"one topic", own, nil, []string{own}, ""},
		{"the member's topic and the organization's", own + "," + central, nil, []string{own, central}, ""},
		{"a failing central topic still leaves the member's alert sent", own + ", " + central, map[string]bool{central: true}, []string{own, central}, central},
		{"no topic", " , ", nil, nil, "no topic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &recordingSNS{failing: tt.failing}
			err := (&Publisher{Client: c, TopicARN: tt.topics}).Publish(context.Background(), Message{Subject: "s", Body: "b"})
			if strings.Join(c.topics, " ") != strings.Join(tt.want, " ") {
				t.Errorf("published to %v, want %v", c.topics, tt.want)
			}
			if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("err = %v, want one naming %q", err, tt.err)
			}
		})
	}
}
