"""Placeholder study app: asks in the terminal until the Gradio UI lands."""

from bot.answer import QuestionError, build_bot
from bot.cli import format_answer


def main() -> None:
    bot = build_bot()
    print("AWS study bot — ask a question (empty line to quit).")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            print(format_answer(bot.ask(question)) + "\n")
        except QuestionError as err:
            print(err)


if __name__ == "__main__":
    main()
