import { Field, InputType } from 'type-graphql';

@InputType('RegisterInput')
export class RegisterInput {
  @Field(() => String)
  email!: string;

  @Field(() => String, { description: 'At least 10 characters, not the email' })
  password!: string;
}

@InputType('LoginInput')
export class LoginInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;
}
