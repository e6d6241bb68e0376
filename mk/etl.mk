# etl: the scheduled job cs-etl, the deployment files, the quickstart, the
# manual (cs-etl.1, cs-tools.7) and bash completion (issue 6).

# cs-etl is a shell script; make writes in the version and the directories.
bin_SCRIPTS += cs-etl
CLEANFILES += cs-etl
cs-etl: $(srcdir)/scripts/cs-etl.in Makefile
	$(AM_V_GEN)rm -f $@ $@.tmp && \
	$(SED) -e 's|@VERSION[@]|$(VERSION)|g' \
	    -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	    -e 's|@localstatedir[@]|$(localstatedir)|g' \
	    $(srcdir)/scripts/cs-etl.in >$@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@

dist_man1_MANS += man/cs-etl.1
dist_man7_MANS += man/cs-tools.7

# Bash completion: one file that completes all seven commands, installed
# under each command's name, where bash-completion looks for it on demand.
bashcompdir = $(datadir)/bash-completion/completions
cs_etl_completions = completions/cs-etl completions/cs-ingest \
	completions/cs-s3ls completions/cs-fetch completions/cs-transform \
	completions/cs-load completions/cs-erase
nodist_bashcomp_DATA = $(cs_etl_completions)
CLEANFILES += $(cs_etl_completions)
$(cs_etl_completions): $(srcdir)/scripts/completion/cs-tools.bash
	$(AM_V_GEN)$(MKDIR_P) completions && \
	cp $(srcdir)/scripts/completion/cs-tools.bash $@

dist_noinst_SCRIPTS += scripts/quickstart
EXTRA_DIST += scripts/cs-etl.in \
	scripts/completion/cs-tools.bash \
	scripts/cs-etl.conf.example \
	scripts/ssm/cs-etl-hourly.json \
	scripts/aws/eventbridge-rule.json \
	scripts/aws/eventbridge-targets.json \
	scripts/aws/iam-eventbridge-role-policy.json \
	scripts/aws/iam-eventbridge-trust-policy.json \
	scripts/aws/iam-warehouse-instance-policy.json \
	scripts/aws/iam-ingest-policy.json \
	scripts/aws/cs-etl-alarms.template.json \
	scripts/aws/s3-raw-lifecycle.json \
	scripts/cron/cs-etl \
	scripts/systemd/cs-etl.service \
	scripts/systemd/cs-etl.timer \
	scripts/systemd/cs-etl-backfill@.service \
	tests/etl-lib.sh \
	tests/validate-aws-json.py \
	tests/validate-cfn.py

TESTS += \
	tests/t5000-cli-all.sh \
	tests/t5001-cs-etl-usage.sh \
	tests/t5002-cs-etl-deploy.sh \
	tests/t5003-cs-etl-docs.sh \
	tests/t5004-cs-etl-completion.sh \
	tests/t5006-aws-templates.sh \
	tests/t5009-cli-declared-options.sh \
	tests/t5100-cs-etl-hour.sh \
	tests/t5101-cs-etl-backfill.sh \
	tests/t5102-cs-etl-late.sh \
	tests/t5103-cs-etl-oldvars.sh \
	tests/t5104-cs-etl-fail.sh \
	tests/t5105-cs-etl-lock.sh \
	tests/t5106-cs-etl-quickstart.sh
EXTRA_DIST += \
	tests/t5000-cli-all.sh \
	tests/t5001-cs-etl-usage.sh \
	tests/t5002-cs-etl-deploy.sh \
	tests/t5003-cs-etl-docs.sh \
	tests/t5004-cs-etl-completion.sh \
	tests/t5006-aws-templates.sh \
	tests/t5009-cli-declared-options.sh \
	tests/t5100-cs-etl-hour.sh \
	tests/t5101-cs-etl-backfill.sh \
	tests/t5102-cs-etl-late.sh \
	tests/t5103-cs-etl-oldvars.sh \
	tests/t5104-cs-etl-fail.sh \
	tests/t5105-cs-etl-lock.sh \
	tests/t5106-cs-etl-quickstart.sh

# CS_ETL_ANONYMIZE_IP end to end (cs-transform --anonymize-ip).
TESTS += tests/t5110-cs-etl-anonymize.sh
EXTRA_DIST += tests/t5110-cs-etl-anonymize.sh

# Completeness: the warehouse's record of objects, --check, --repair, -n.
TESTS += tests/t5107-cs-etl-complete.sh
EXTRA_DIST += tests/t5107-cs-etl-complete.sh
