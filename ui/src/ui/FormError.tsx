/** An error shown where it happened (a form, the composer): what went wrong and what to do next. */
import "./forms.css";
import { Icon } from "./Icon";

export function FormError({ error, testId }: { error: { message: string; action: string | null } | null; testId: string }) {
  if (!error) return null;
  return (
    <div className="form__error" role="alert" data-testid={testId}>
      <Icon name="alert" size={15} />
      <div>
        <p>{error.message}</p>
        {error.action ? <p className="form__error-action">{error.action}</p> : null}
      </div>
    </div>
  );
}
