import { Alert, List } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { ApiProblem } from "../api/problem";

/** An error as the user reads it: the gateway's problem title and detail, and each refused field. */
export function ProblemAlert({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  const problem =
    error instanceof ApiProblem
      ? error
      : new ApiProblem({ status: 0, title: t("error.unexpected"), detail: String(error) });
  const title = problem.status === 0 ? t("error.unreachable") : problem.title;
  return (
    <Alert color="red" title={title} role="alert" variant="light">
      {problem.errors.length > 1 ? (
        <List size="sm">
          {problem.errors.map((line) => (
            <List.Item key={line}>{line}</List.Item>
          ))}
        </List>
      ) : (
        problem.detail
      )}
      {problem.retryAfterSeconds !== undefined && (
        <div>{t("error.retryAfter", { seconds: problem.retryAfterSeconds })}</div>
      )}
    </Alert>
  );
}
